"""The data choices: image folder, validation (split fraction or folder), label rule, augmentation.

The form reads and writes the engine's own :class:`DataConfig` and :class:`AugmentConfig`; nothing is
interpreted here. ``sigChanged`` fires on any edit.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from studio.engine.data import AugmentConfig, DataConfig, LabelRule
from studio.ui.training.boxes import float_box, int_box

LABEL_KINDS = (("folder", "class folders (root/<class>/<image>)"),
               ("regex", "regex group on the file name"),
               ("index", "index rule: (number - first) // per class"))


class FolderEdit(QWidget):
    """A path field with a Browse button."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse)

    def text(self) -> str:
        return self.edit.text().strip()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt naming
        self.edit.setText(text)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose an image folder", self.text())
        if folder:
            self.edit.setText(folder)


class DataForm(QWidget):
    """Edits a DataConfig and an AugmentConfig."""

    sigChanged = Signal()  # any field changed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._base = DataConfig()
        self.folder = FolderEdit("folder with one sub-folder per class")
        self.demo_button = QPushButton("Use demo data")
        self.split_radio = QRadioButton("split off a fraction")
        self.folder_radio = QRadioButton("separate folder")
        self.split_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.split_radio)
        group.addButton(self.folder_radio)
        self.val_fraction = float_box(0.0, 0.9, 2, 0.05)
        self.split_seed = int_box(0, 2**31 - 1)
        self.val_folder = FolderEdit("validation folder, same class names")
        self.label_kind = QComboBox()
        for kind, text in LABEL_KINDS:
            self.label_kind.addItem(text, kind)
        self.label_pattern = QLineEdit()
        self.label_pattern.setPlaceholderText(r"e.g. ^([a-z]+)_\d+ (regex) or (\d+) (index)")
        self.per_class = int_box(1, 10**6)
        self.first_index = int_box(0, 10**6)
        self.resize_mode = QComboBox()
        self.resize_mode.addItems(["crop", "stretch"])
        self.hflip, self.vflip = QCheckBox("horizontal flip"), QCheckBox("vertical flip")
        self.brightness, self.contrast, self.saturation = (float_box(0, 1, 2, 0.05) for _ in range(3))
        self.hue = float_box(0, 0.5, 2, 0.02)
        self.hue.setToolTip("Random hue shift, as a fraction of the colour circle (colour images only)")
        self.crop_scale = float_box(0.05, 1.0, 2, 0.05)
        self.rotation = float_box(0, 180, 0, 5)
        self._build()
        self.set_configs(DataConfig(), AugmentConfig())
        for widget in self._inputs():
            for signal in ("textChanged", "valueChanged", "toggled", "currentIndexChanged"):
                if hasattr(widget, signal):
                    getattr(widget, signal).connect(self._changed)
        self._changed()

    def _build(self) -> None:
        source = QGroupBox("Images")
        form = QFormLayout(source)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(self.demo_button)
        form.addRow("folder", row)
        split_row = QHBoxLayout()
        split_row.addWidget(self.split_radio)
        split_row.addWidget(self.val_fraction)
        split_row.addWidget(QLabel("seed"))
        split_row.addWidget(self.split_seed)
        split_row.addStretch(1)
        form.addRow("validation", split_row)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_radio)
        folder_row.addWidget(self.val_folder, 1)
        form.addRow("", folder_row)
        form.addRow("labels", self.label_kind)
        form.addRow("pattern", self.label_pattern)
        index_row = QHBoxLayout()
        index_row.addWidget(self.per_class)
        index_row.addWidget(QLabel("first number"))
        index_row.addWidget(self.first_index)
        index_row.addStretch(1)
        form.addRow("per class", index_row)
        form.addRow("resize", self.resize_mode)
        augment = QGroupBox("Augmentation (training batches only)")
        aug = QFormLayout(augment)
        flips = QHBoxLayout()
        flips.addWidget(self.hflip)
        flips.addWidget(self.vflip)
        flips.addStretch(1)
        aug.addRow("flips", flips)
        aug.addRow("brightness ±", self.brightness)
        aug.addRow("contrast ±", self.contrast)
        aug.addRow("saturation ±", self.saturation)
        aug.addRow("hue ±", self.hue)
        aug.addRow("crop: smallest area", self.crop_scale)
        aug.addRow("rotation ± degrees", self.rotation)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(source)
        layout.addWidget(augment)
        layout.addStretch(1)

    def _inputs(self) -> list[QWidget]:
        return [self.folder.edit, self.split_radio, self.val_fraction, self.split_seed, self.val_folder.edit,
                self.label_kind, self.label_pattern, self.per_class, self.first_index, self.resize_mode,
                self.hflip, self.vflip, self.brightness, self.contrast, self.saturation, self.hue,
                self.crop_scale, self.rotation]

    def _changed(self, *_args) -> None:
        use_folder = self.folder_radio.isChecked()
        self.val_folder.setEnabled(use_folder)
        self.val_fraction.setEnabled(not use_folder)
        self.split_seed.setEnabled(not use_folder)
        kind = self.label_kind.currentData()
        self.label_pattern.setEnabled(kind != "folder")
        self.per_class.setEnabled(kind == "index")
        self.first_index.setEnabled(kind == "index")
        self.sigChanged.emit()

    # ---- configs ---------------------------------------------------------------------------------
    def set_configs(self, data: DataConfig, augment: AugmentConfig) -> None:
        """Show ``data`` and ``augment`` (fields the form does not edit are kept as they are)."""
        self._base = data
        self.folder.setText(data.root)
        self.val_folder.setText(data.val_root or "")
        (self.folder_radio if data.val_root else self.split_radio).setChecked(True)
        self.val_fraction.setValue(data.val_split)
        self.split_seed.setValue(data.split_seed)
        self.label_kind.setCurrentIndex(max(0, self.label_kind.findData(data.labels.kind)))
        self.label_pattern.setText(data.labels.pattern or "")
        self.per_class.setValue(data.labels.per_class)
        self.first_index.setValue(data.labels.first)
        self.resize_mode.setCurrentText(data.resize)
        self.hflip.setChecked(augment.hflip)
        self.vflip.setChecked(augment.vflip)
        self.brightness.setValue(augment.brightness)
        self.contrast.setValue(augment.contrast)
        self.saturation.setValue(augment.saturation)
        self.hue.setValue(augment.hue)
        self.crop_scale.setValue(augment.crop_scale)
        self.rotation.setValue(augment.rotation)

    def data_config(self) -> DataConfig:
        """The DataConfig shown (raises DataError for an invalid label rule)."""
        kind = self.label_kind.currentData()
        rule = LabelRule(kind, self.label_pattern.text().strip() or None, self.per_class.value(),
                         self.first_index.value(), self._base.labels.class_names)
        use_folder = self.folder_radio.isChecked()
        val_root = (self.val_folder.text() or None) if use_folder else None
        return dataclasses.replace(
            self._base, root=self.folder.text(), val_root=val_root,
            val_split=self.val_fraction.value(), split_seed=self.split_seed.value(), labels=rule,
            resize=self.resize_mode.currentText())

    def augment_config(self) -> AugmentConfig:
        """The AugmentConfig shown."""
        return AugmentConfig(hflip=self.hflip.isChecked(), vflip=self.vflip.isChecked(),
                             brightness=self.brightness.value(), contrast=self.contrast.value(),
                             saturation=self.saturation.value(), hue=self.hue.value(),
                             crop_scale=self.crop_scale.value(),
                             rotation=self.rotation.value())
