import pytest

from higgsctl.engine import InvalidInput
from higgsctl.engine.storage import FileStore, safe_name


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\win.ini", "win.ini"),
        ("/abs/path/photo.jpg", "photo.jpg"),
        ("...hidden", "hidden"),
        ("ok name (1).png", "ok_name_1_.png"),
        ("", "file"),
        ("..", "file"),
    ],
)
def test_safe_name_strips_directories_and_odd_characters(name, expected):
    assert safe_name(name) == expected


def test_uploads_stay_inside_the_user_folder(tmp_path):
    store = FileStore(tmp_path / "store")
    path = store.save_upload(42, b"data", "../../../../tmp/evil.jpg")
    assert path.parent == store.root / "users" / "42" / "last_uploads"
    assert path.name.endswith("evil.jpg")
    assert path.read_bytes() == b"data"


def test_paths_outside_the_store_are_refused(tmp_path):
    store = FileStore(tmp_path / "store")
    for bad in ("../outside.png", "/etc/passwd", "users/1/../../../x"):
        with pytest.raises(InvalidInput):
            store.inside(bad)
    (tmp_path / "store").mkdir(exist_ok=True)
    (tmp_path / "store" / "link").symlink_to(tmp_path)
    with pytest.raises(InvalidInput):
        store.inside("link/secret")


def test_user_id_and_area_are_checked(tmp_path):
    store = FileStore(tmp_path)
    with pytest.raises(InvalidInput):
        store.user_dir("1/../../x", "results")
    with pytest.raises(InvalidInput):
        store.user_dir(1, "../etc")


def test_retire_moves_uploads_to_used(tmp_path):
    store = FileStore(tmp_path)
    a = store.save_upload(7, b"a", "a.jpg")
    moved = store.retire_uploads(7, [a])
    assert moved[0].parent.name == "used" and moved[0].read_bytes() == b"a"
    assert not a.exists()
