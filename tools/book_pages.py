"""A Sphinx extension of the web book (tools/book.py copies it into the book's sources): each Chinese page says
``<html lang="zh-CN">``, so that browsers and screen readers treat its text as Chinese (fonts, voice); and jieba
(which cuts Chinese text into words for the search index) keeps its start-up messages to itself."""

import logging


def set_language(app, pagename, templatename, context, doctree):
    if pagename in app.config.book_chinese_pages:
        context["language"] = "zh-CN"


def setup(app):
    try:
        import jieba

        jieba.setLogLevel(logging.WARNING)
    except ImportError:
        pass
    app.add_config_value("book_chinese_pages", [], "html")
    app.connect("html-page-context", set_language)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
