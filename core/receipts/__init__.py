"""Receipts read on this machine (SPEC section 9): a photo or PDF in, a Reading out."""

from core.receipts.extract import extract_reading
from core.receipts.ocr import ocr_available, read_receipt
from core.receipts.schemas import Reading, ReceiptLine

__all__ = ["Reading", "ReceiptLine", "extract_reading", "ocr_available", "read_receipt"]
