"""Analysis reuses unchanged layers' meta modules between runs; results must equal a fresh build."""

from studio.engine.compiler import compile_spec
from studio.engine.spec.analysis import analyze
from studio.engine.spec.builder import SpecBuilder


def repeated_blocks():
    b = SpecBuilder("rep")
    unit = b.new_block("unit", c=4)
    y = unit.input("x")
    unit.output("out", unit.layer("conv", "conv2d", y, out_channels="$c", padding="same"))
    x = b.input("image", [4, 8, 8])
    x = b.block("first", "unit", x)
    x = b.block("again", "unit", x, repeat=3)
    b.output("logits", b.layer("fc", "fully_connected", b.layer("flat", "flatten", x), out_features=2))
    return b.build()


def test_counts_match_a_compiled_model_across_repeated_analyses():
    spec = repeated_blocks()
    compiled = sum(p.numel() for p in compile_spec(spec).parameters())
    assert analyze(spec).total_params == compiled
    assert analyze(spec).total_params == compiled  # second run reuses modules: still counted once each


def test_an_edit_is_seen_by_the_next_analysis():
    spec = repeated_blocks()
    before = analyze(spec)
    spec.set_arg("again", "c", 6)  # a block parameter: every inner layer of the use changes
    after = analyze(spec)
    assert after.nodes["again"].output_shape == (6, 8, 8)
    assert after.total_params == sum(p.numel() for p in compile_spec(spec).parameters())
    assert after.total_params != before.total_params
    spec.set_arg("again", "c", None)
    assert analyze(spec).total_params == before.total_params


def test_compiled_models_never_share_modules_with_analysis():
    spec = repeated_blocks()
    analyze(spec)
    one, two = compile_spec(spec), compile_spec(spec)
    assert one.fc is not two.fc
    assert str(next(one.parameters()).device) == "cpu"
