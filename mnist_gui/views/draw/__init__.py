"""The Draw tab's widgets: the answer panel (the number, both models' answers, one digit's scores) and the
teach row. The tab itself (mnist_gui/views/draw_tab.py) wires them to the canvas and the state."""
