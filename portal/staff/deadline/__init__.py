"""An application's deadline and status, as the program staff change them."""
