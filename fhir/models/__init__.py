from .access import ClientAccess

__all__ = ["ClientAccess"]
