"""Streamlit front end: the pages and the widgets they share. The only package that imports Streamlit."""
