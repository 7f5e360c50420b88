from .access import ClientAccess
from .export import ExportJob

__all__ = ["ClientAccess", "ExportJob"]
