import importlib.util
import sys
from pathlib import Path


def _load_fhir_app() -> None:
    """Make the name `fhir` the project's app, with fhir.resources inside it.

    fhir.resources (the FHIR validator library) is a setuptools namespace package:
    its `-nspkg.pth` file claims the top-level name `fhir` when the interpreter
    starts, so `import fhir` would find the library's folder and never the app. The
    app's package is loaded in its place, with every `fhir` folder of the
    installed packages on its path, so that `fhir.scopes` and `fhir.resources` both
    import, whichever entry point (manage.py, the worker, gunicorn, pytest) starts.
    """
    app_dir = Path(__file__).resolve().parent.parent / "fhir"
    init = app_dir / "__init__.py"
    loaded = sys.modules.get("fhir")
    if loaded is not None and getattr(loaded, "__file__", None) == str(init):
        return
    portions = [str(app_dir)]
    for folder in [*getattr(loaded, "__path__", []), *(Path(p) / "fhir" for p in sys.path if p)]:
        folder = str(folder)
        if folder not in portions and Path(folder, "resources").is_dir():
            portions.append(folder)
    spec = importlib.util.spec_from_file_location("fhir", init, submodule_search_locations=portions)
    module = importlib.util.module_from_spec(spec)
    sys.modules["fhir"] = module
    spec.loader.exec_module(module)


_load_fhir_app()

from .celery import app as celery_app  # noqa: E402

__all__ = ["celery_app"]
