"""Feature extraction from top-level and nested nodes of compiled models, in one pass."""

import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from studio.engine.compiler import compile_spec
from studio.engine.projector.errors import Cancelled, ProjectorError
from studio.engine.projector.features import extract_features, feature_nodes
from studio.engine.projector.layer import embedding_layer
from studio.engine.spec.builder import SpecBuilder
from studio.engine.templates import create_template


def small_model():
    torch.manual_seed(0)
    return compile_spec(create_template("small_cnn", num_classes=4, input_shape=(1, 12, 12)), device="cpu")


def images(n=10, shape=(1, 12, 12), seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, *shape), dtype=np.uint8)


def test_top_level_nodes_match_a_direct_forward_and_spatial_maps_are_pooled():
    model, pixels = small_model(), images(10)
    done = []
    result = extract_features(model, pixels, ["conv1", "fc1", "image"], batch_size=4,
                              progress=lambda p: done.append((p.done, p.total)))
    x = torch.from_numpy(pixels).float() / 255
    model.eval()  # extraction runs in eval mode (dropout off)
    with torch.no_grad():
        conv1 = F.relu(model.conv1(x))
        expected = model.forward_nodes(x, nodes=["fc1"])["fc1"]
        logits = model(x)
    assert result.features["conv1"].shape == (10, 32)
    np.testing.assert_allclose(result.features["conv1"], conv1.mean(dim=(2, 3)).numpy(), atol=1e-5)
    np.testing.assert_allclose(result.features["fc1"], expected.numpy(), atol=1e-5)
    assert (result.features["fc1"] >= 0).all()  # the relu of fc1 is part of the node
    assert result.features["image"].shape == (10, 1)  # a [1, 12, 12] map pooled per channel
    np.testing.assert_allclose(result.logits, logits.numpy(), atol=1e-5)
    assert done == [(4, 10), (8, 10), (10, 10)]


def test_flatten_and_max_reductions():
    model, pixels = small_model(), images(3)
    flat = extract_features(model, pixels, ["pool1"], reduce="flatten", output=None)
    peak = extract_features(model, pixels, ["pool1"], reduce="max", output=None)
    assert flat.features["pool1"].shape == (3, 32 * 6 * 6)
    assert flat.logits is None
    np.testing.assert_allclose(peak.features["pool1"], flat.features["pool1"].reshape(3, 32, 36).max(-1))


def test_nested_nodes_inside_blocks_and_repeats_are_hooked_with_their_activation():
    b = SpecBuilder("nested")
    x = b.input("image", [3, 8, 8])
    x = b.layer("stem", "conv2d", x, out_channels=4, kernel_size=3, padding="same")
    x = b.layer("tower", "conv2d", x, out_channels=5, kernel_size=3, padding="same", activation="relu",
                repeat=2)
    x = b.layer("gap", "global_avg_pool", x)
    x = b.layer("fc", "fully_connected", x, out_features=2)
    b.output("logits", x)
    torch.manual_seed(0)
    model = compile_spec(b.build(), device="cpu")
    assert {"tower.tower_1", "tower.tower_1_relu", "tower.tower_2"} <= set(feature_nodes(model))
    pixels = images(6, (3, 8, 8))
    result = extract_features(model, pixels, ["tower.tower_1_relu", "tower.tower_2", "gap"])
    x = torch.from_numpy(pixels).float() / 255
    with torch.no_grad():
        first = F.relu(model.tower.tower_1(model.stem(x)))
    np.testing.assert_allclose(result.features["tower.tower_1_relu"], first.mean(dim=(2, 3)).numpy(),
                               atol=1e-5)
    assert result.features["tower.tower_2"].shape == (6, 5)


def test_nodes_inside_a_template_block_match_the_whole_block_pass():
    torch.manual_seed(0)
    model = compile_spec(create_template("resnet18", num_classes=3, input_shape=(3, 16, 16)), device="cpu")
    pixels = images(2, (3, 16, 16))
    result = extract_features(model, pixels, ["layer1_1.relu", "layer1_1", "layer2_1.bn1"], output=None)
    np.testing.assert_allclose(result.features["layer1_1.relu"], result.features["layer1_1"], atol=1e-6)
    assert result.features["layer2_1.bn1"].shape == (2, 128)


def test_cancel_flag_stops_between_batches_and_the_model_mode_is_restored():
    model = small_model()
    model.train()
    stop = threading.Event()
    with pytest.raises(Cancelled):
        extract_features(model, images(20), ["fc1"], batch_size=4, progress=lambda p: stop.set(),
                         should_stop=stop.is_set)
    assert model.training
    assert not any(m._forward_hooks for m in model.modules())


def test_unknown_nodes_and_outputs_are_clear_errors():
    model = small_model()
    with pytest.raises(ProjectorError, match="no node 'fc9'.*conv1"):
        extract_features(model, images(2), ["fc9"])
    with pytest.raises(ProjectorError, match="no node 'fc1.weight'"):
        extract_features(model, images(2), ["fc1.weight"])
    with pytest.raises(ProjectorError, match="no output 'probs'"):
        extract_features(model, images(2), ["fc1"], output="probs")
    with pytest.raises(ProjectorError, match="reduction"):
        extract_features(model, images(2), ["fc1"], reduce="median")


def test_embedding_layer_is_the_input_of_the_last_layer_through_dropout():
    assert embedding_layer(create_template("small_cnn", num_classes=4)) == "fc1"  # fc1 -> dropout -> fc2
    mlp = create_template("mlp", num_classes=3)
    assert embedding_layer(mlp) == "fc2"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_extraction_on_a_gpu_matches_the_cpu():
    cpu = small_model()
    gpu = compile_spec(create_template("small_cnn", num_classes=4, input_shape=(1, 12, 12)), device="cuda")
    gpu.load_state_dict(cpu.state_dict())
    pixels = images(9)
    ours = extract_features(gpu, pixels, ["conv1", "fc1"], batch_size=4)
    reference = extract_features(cpu, pixels, ["conv1", "fc1"], batch_size=4)
    for node in ("conv1", "fc1"):
        np.testing.assert_allclose(ours.features[node], reference.features[node], atol=1e-4)
    np.testing.assert_allclose(ours.logits, reference.logits, atol=1e-4)
