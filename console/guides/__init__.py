"""Call guides: sales-authored scripts, objection handling and battlecards."""
