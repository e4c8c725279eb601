"""Answerers turn retrieved passages into a draft answer; bot.quotes then checks every quote."""
