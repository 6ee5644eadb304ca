"""Show Binder/Colab launch buttons only when the book names its real repository.

Jupyter Book 1 falls back to its own repository (executablebooks/jupyter-book) when
``repository.url`` is unset, so launch buttons would open somebody else's project.
This extension keeps one switch: set ``repository: url:`` in ``_config.yml`` and the
buttons configured under ``launch_buttons`` appear; leave it unset and they are off.
"""
JUPYTER_BOOK_DEFAULT = "https://github.com/executablebooks/jupyter-book"
LAUNCHERS = ("binderhub_url", "colab_url", "jupyterhub_url", "deepnote_url")


def _switch_off_without_repository(app, config):
    options = config.html_theme_options
    url = (options.get("repository_url") or "").rstrip("/")
    if url in ("", JUPYTER_BOOK_DEFAULT):
        launch = dict(options.get("launch_buttons", {}))
        launch.update({key: "" for key in LAUNCHERS}, thebe=False)
        options["launch_buttons"] = launch
        options.update(use_repository_button=False, use_issues_button=False, use_edit_page_button=False)


def setup(app):
    app.connect("config-inited", _switch_off_without_repository)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
