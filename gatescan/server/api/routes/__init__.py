"""Route modules; each has `router()` building a fresh `APIRouter`."""
