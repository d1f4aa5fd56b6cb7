"""The graph canvas: a QGraphicsScene that draws one graph of the spec and a view to navigate it."""
