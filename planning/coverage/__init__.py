"""Walking coverage: minutes from residents to facilities, reach sets, life-circle shares per community, isochrones."""
