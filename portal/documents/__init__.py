"""VAT invoices, receipts and credit notes as PDF."""
