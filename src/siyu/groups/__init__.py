"""Group chats (社群): groups and sub-groups, joining, moderation, group activities and growth value."""
