"""Services: the one room where the store and the workflow meet; they return plain views."""
