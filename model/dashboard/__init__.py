"""`parksim dashboard`: a Solara web app to move policy levers and see targets and costs."""
