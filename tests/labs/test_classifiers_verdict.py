"""What the classifiers page says about one photo and about its held-out accuracy: a best guess of
50.7 % is "none of these" with the reason, and "100 %" says how many photos it stands for."""

from app.classifiers.answers import UNSURE_BELOW, accuracy_counts, try_verdict
from app.i18n import Translator
from app.ml.photos import Prediction
from app.web import templates


def bars(*probabilities):
    names = ["冠八哥", "家八哥", "白尾八哥"]
    return [Prediction(k, names[k], names[k], p) for k, p in enumerate(probabilities)]


def render_try(predictions, lang="zh-TW"):
    template = templates().env.get_template("partials/classifiers_try.html")
    return template.render(_=Translator(lang), predictions=predictions, crop_url="data:,", **try_verdict(predictions))


def test_a_hot_dog_at_50_7_percent_is_none_of_these_with_the_reason():
    hot_dog = bars(0.507, 0.3, 0.193)
    verdict = try_verdict(hot_dog)
    assert verdict["unsure"] and verdict["unsure_below"] == round(UNSURE_BELOW * 100) == 70
    html = render_try(hot_dog)
    assert "都不像：它不太確定" in html and "最像的「冠八哥」也只有 50.7%，不到 70%" in html and "只學過這 3 類" in html
    assert "None of these: it is unsure" in render_try(hot_dog, "en")


def test_a_clear_answer_names_the_class():
    myna = bars(0.93, 0.05, 0.02)
    assert not try_verdict(myna)["unsure"]
    html = render_try(myna)
    assert "它認為是「冠八哥」（93.0%）" in html and "都不像" not in html


def test_an_accuracy_says_how_many_photos_it_is():
    assert accuracy_counts(1.0, 2) == {"right": 2, "photos": 2, "few": True, "step": 50}
    assert accuracy_counts(8 / 9, 9)["right"] == 8
    assert not accuracy_counts(0.95, 40)["few"]
    assert accuracy_counts(None, 0) is None
    _ = Translator("zh-TW")
    assert _("classifiers.val_count", right=2, n=2) == "（2 張中答對 2 張）"
    assert "只有 2 張保留照片" in _("classifiers.val_few", n=2, step=50)
