"""Add-on GUI (operators, properties, panels). Filled in by the add-on work (issue 5)."""


def register():
    pass


def unregister():
    pass
