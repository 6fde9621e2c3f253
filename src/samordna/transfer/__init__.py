"""Area export and import (one JSON document), and backups of the whole database."""
