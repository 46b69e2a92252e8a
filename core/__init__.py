"""Small pieces every Village app may use. Depends on nothing in the project."""
