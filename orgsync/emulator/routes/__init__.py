"""The emulator's HTTP routes, one `APIRouter` per area; `app.create_app` includes them in this order."""
