"""Maps: web maps (folium/Leaflet, offline assets, Chinese base maps) and static maps for print."""
