"""The scan resolver: what a QR code opens."""
from flask import Blueprint

bp = Blueprint("scan", __name__)
