"""Model providers configured by environment; each speaks its wire protocol and yields
``chat.models`` events, so the same tools and loop drive every one."""
