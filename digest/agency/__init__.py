"""Agency copy as it arrives: topics by keyword, datelines and sources, wire stories folded.

Pure: text and settings in, data out. The content stage asks it for an article's topic and
dateline when it reads the file; the model asks it which articles are versions of one story.
"""
