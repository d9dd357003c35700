"""The emulator's HTTP routes, one module per area; `app.create_app` registers them on its router in order."""
