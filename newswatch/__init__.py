"""newswatch: scheduled monitoring of Korean news."""
__version__ = "0.1.0"
