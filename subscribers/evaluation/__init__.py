"""Delivery evaluation (`deliveries`: may workflow W reach these customers, on which channels, when?) and
explain (`explain`: why), beside the resolution engine they ask; neither decides anything itself."""
