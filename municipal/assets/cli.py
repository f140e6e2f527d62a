"""Registry commands: labels, import and export."""
asset_commands = []
