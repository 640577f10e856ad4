"""Customers, orders, products, behaviour events; JD order import; the demo shop generator."""
