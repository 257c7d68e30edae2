"""Conversations on a channel: load the state, step the menu engine, act through `domain/`, save.

`menu_turns` runs the menus for one USSD hop, one voice step or one numbered-menu SMS;
`sms_commands` answers keyword SMS (`sms_browse` the catalog commands, `sms_context` what
every command works with); `catalog_loader` gives the menus the catalog as it is now. No
Flask here: the provider edge parses and renders, this layer decides.
"""
