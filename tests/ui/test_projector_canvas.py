"""The projector's 2-D canvas with real pixmaps: thumbnails drawn from their atlas cells where their points
are, level of detail, dots in their colours, emphasis, and hover/click/rectangle/lasso with the mouse."""

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor

from studio.engine.projector.sprites import build_atlas
from studio.ui.projector.camera import Camera
from studio.ui.projector.canvas import ProjectorCanvas
from studio.ui.projector.cloud import ROLE_COLORS, choose_level
from studio.ui.projector.geometry import in_polygon
from studio.ui.projector.sprites import SpriteSheet
from studio.ui.projector.view3d import View3D
from tests.ui.projector_helpers import click, drag, mouse

COLORS = [(220, 30, 30), (30, 200, 40), (30, 60, 220), (240, 200, 20), (150, 40, 180), (20, 200, 200)]
COORDS = np.array([[0, 0], [10, 0], [0, 10], [10, 10], [5, 5], [20, 3]], dtype=float)


def solid_images(cell: int = 16) -> np.ndarray:
    """One solid-colour RGB image per point, uint8 [N, 3, cell, cell]."""
    return np.array([np.broadcast_to(np.array(c, np.uint8)[:, None, None], (3, cell, cell)) for c in COLORS])


@pytest.fixture
def canvas(qtbot):
    widget = ProjectorCanvas()
    qtbot.addWidget(widget)
    widget.resize(500, 400)
    widget.show()
    qtbot.waitExposed(widget)
    widget.look.sprite_size = 16
    widget.set_points(COORDS, SpriteSheet.from_atlas(build_atlas(solid_images(), 16)))
    widget.repaint()
    return widget


def pixel(image, point) -> tuple[int, int, int]:
    return QColor(image.pixel(int(round(point.x())), int(round(point.y())))).getRgb()[:3]


def test_every_thumbnail_is_drawn_from_its_own_cell_at_its_point(canvas):
    image = canvas.render_image()
    for i, color in enumerate(COLORS):
        assert pixel(image, canvas.screen_position(i)) == color
    drawn = canvas.drawn()
    assert sorted(drawn.order.tolist()) == list(range(len(COORDS)))
    assert drawn.level == 0 and drawn.size == 16


def test_many_visible_points_switch_to_smaller_atlas_copies(canvas):
    canvas.look.pixel_budget = 6 * 5 * 5  # room for 6 thumbnails of 5x5 px: 16 -> 8 -> 4 px
    canvas.refresh()
    canvas.repaint()
    assert (canvas.drawn().level, canvas.drawn().size) == (2, 4.0)
    image = canvas.render_image()
    for i, color in enumerate(COLORS):  # the quarter-size copy of a solid image is the same colour
        assert pixel(image, canvas.screen_position(i)) == color
    assert choose_level(50_000, 32, 32, 3, 16e6) == (1, 16.0)
    assert choose_level(10_000, 32, 32, 3, 16e6) == (0, 32.0)
    assert choose_level(50_000, 64, 64, 3, 16e6) == (2, 16.0)
    assert choose_level(100, 48, 32, 3, 16e6) == (0, 48.0)  # bigger than the cell: scaled up from level 0


def test_dots_take_their_palette_colour_and_emphasis_fades_the_rest(canvas):
    palette = ("#ff0000", "#0000ff")
    canvas.renderer.set_colors(np.array([0, 1, 0, 1, 0, -1]), palette)
    canvas.look.mode, canvas.look.dot_size = "dots", 12
    canvas.refresh()
    image = canvas.render_image()
    assert pixel(image, canvas.screen_position(0)) == (255, 0, 0)
    assert pixel(image, canvas.screen_position(1)) == (0, 0, 255)
    assert pixel(image, canvas.screen_position(5)) == QColor("#9aa0a6").getRgb()[:3]  # no colour: grey
    canvas.renderer.emphasis = {"selected": np.array([1])}
    image = canvas.render_image()
    assert pixel(image, canvas.screen_position(1)) == (0, 0, 255)  # drawn again on top
    faded = pixel(image, canvas.screen_position(0))
    assert faded != (255, 0, 0) and faded[1] > 100  # mixed with the white background
    corner = canvas.screen_position(1) + QPoint(6 + 2 + 1, 0)  # on the outline around the dot
    assert pixel(image, corner) == QColor(ROLE_COLORS["selected"]).getRgb()[:3]


def test_hover_and_click_find_the_point_under_the_mouse(canvas, qtbot):
    hovered, clicked = [], []
    canvas.sigHovered.connect(hovered.append)
    canvas.sigClicked.connect(lambda index, shift: clicked.append(index))
    target = canvas.screen_position(3).toPoint()
    mouse(canvas, "move", target)
    assert hovered[-1] == 3 and canvas.hovered == 3
    click(canvas, target)
    assert clicked == [3]
    click(canvas, QPoint(2, 2))  # empty space
    assert clicked == [3, -1]


def test_rectangle_and_lasso_select_the_points_inside(canvas, qtbot):
    chosen = []
    canvas.sigSelected.connect(lambda indices, shift: chosen.append(sorted(indices.tolist())))
    p = [canvas.screen_position(i).toPoint() for i in range(len(COORDS))]
    canvas.tool = "rect"
    drag(canvas, [p[2] + QPoint(-5, -5), p[4] + QPoint(2, 2), p[4] + QPoint(5, 5)])
    assert chosen[-1] == [2, 4]  # (0, 10) and (5, 5): the rectangle's corners are above-left and below-right
    canvas.tool = "lasso"
    around = [p[0] + QPoint(-8, 8), p[1] + QPoint(8, 8), p[3] + QPoint(8, -8), p[0] + QPoint(-8, 8)]
    drag(canvas, around)  # a triangle through 0, 1 and 3 leaves 2 and 4 out (4 is on the diagonal)
    assert 0 in chosen[-1] and 1 in chosen[-1] and 3 in chosen[-1] and 2 not in chosen[-1]


def test_zoom_keeps_the_point_under_the_cursor_and_pan_moves_the_view(canvas, qtbot):
    before, scale = canvas.camera.to_data(100, 80), canvas.camera.scale
    canvas.zoom(2.0, 100, 80, animate=False)
    assert canvas.camera.to_data(100, 80) == pytest.approx(before)
    canvas.zoom(1.5, 100, 80)  # animated: every step and the end keep the anchor
    animation = canvas._animation
    animation.setCurrentTime(animation.duration() // 2)  # drive the clock (the suite's timers may lag)
    assert canvas.camera.to_data(100, 80) == pytest.approx(before)
    animation.setCurrentTime(animation.duration())
    assert animation.state() == animation.State.Stopped
    assert canvas.camera.scale == pytest.approx(scale * 3)
    assert canvas.camera.to_data(100, 80) == pytest.approx(before)
    assert canvas.camera.to_data(100, 80) == pytest.approx(before)
    start = canvas.screen_position(0)
    drag(canvas, [QPoint(200, 200), QPoint(230, 210), QPoint(260, 220)])  # pan tool
    assert (canvas.screen_position(0) - start).toPoint() == QPoint(60, 20)


def test_camera_and_polygon_geometry():
    camera = Camera(width=200, height=100).fitted(np.array([[0.0, 0.0], [10.0, 5.0]]), margin=0)
    assert camera.to_screen(np.array([[0.0, 0.0], [10.0, 5.0]])).tolist() == [[0, 100], [200, 0]]
    concave = np.array([[0, 0], [10, 0], [10, 10], [5, 3], [0, 10]], dtype=float)
    points = np.array([[5, 1], [5, 8], [1, 8], [11, 5]], dtype=float)
    assert in_polygon(points, concave).tolist() == [True, False, True, False]


def test_3d_view_explains_that_offscreen_qt_has_no_opengl(qtbot):
    view = View3D()
    qtbot.addWidget(view)
    assert view.ensure_ready() is False
    assert "OpenGL" in view.problem and "offscreen" in view.problem
    assert view.currentWidget() is view.message and view.message.text() == view.problem


def test_outlines_of_a_selection_go_under_its_thumbnails(canvas):
    from studio.ui.projector.cloud import FRAME

    canvas.set_points(np.array([[0, 0], [0.8, 0], [20, 20]], float),
                      SpriteSheet.from_atlas(build_atlas(solid_images()[:3], 16)))
    canvas.renderer.emphasis = {"selected": np.array([0, 1, 2])}
    canvas.refresh()
    first, second = canvas.screen_position(0), canvas.screen_position(1)
    assert 0 < second.x() - first.x() < 16  # the two thumbnails overlap
    image = canvas.render_image()
    side = 16 + 2 * FRAME + 2
    on_first = QPoint(int(round(second.x() - side / 2)), int(round(second.y())))  # 2nd's outline, on the 1st
    assert first.x() - 8 < on_first.x() < second.x() - 8
    assert pixel(image, on_first) == COLORS[0]  # the image, not an outline drawn across it
    rim = canvas.screen_position(2) + QPoint(int(side / 2), 0)  # a lone point keeps its outline
    assert pixel(image, rim) == QColor(ROLE_COLORS["selected"]).getRgb()[:3]
