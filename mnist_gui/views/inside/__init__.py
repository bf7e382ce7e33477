"""Panels of the Inside tab: the model diagram, activations, one unit, saliency, weights as they learn, the map."""
