"""Tags on expenses and incomes: lowercase words, kept in tables of their own."""
