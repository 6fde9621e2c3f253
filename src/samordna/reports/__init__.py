"""The steering report (styringsrapport): web.py → service.py → repository.py; history.py replays the events."""
