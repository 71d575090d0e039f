"""Hand-offs of qualified leads to sales, and sales' answer to them."""
