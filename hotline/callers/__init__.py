"""What the caller is told, and when (CQ §11, §13(三), §14)."""
