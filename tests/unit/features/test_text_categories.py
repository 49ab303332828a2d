"""The text model's categories: the rule layer on hand-made sentences, the classifier on plain ones,
the corpus reader's errors, and the held-out evaluation against the issue's targets."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import polars as pl
import pytest

from features.text_categories import CATEGORIES, rule_flags
from features.text_model import TextClassifier, default_classifier, read_corpus
from features.text_normalise import normalise
from layoffwatch.errors import UserError


def flags(text: str) -> dict[str, bool]:
    row = rule_flags(pl.Series([text])).row(0, named=True)
    return {k: v for k, v in row.items() if v}


def categories(*texts: str) -> list[set[str]]:
    frame = default_classifier().categorise(pl.Series(texts))
    return [{c for c in CATEGORIES if row[f"cat_{c}"]} for row in frame.iter_rows(named=True)]


def test_a_negation_word_before_the_matter_denies_it() -> None:
    assert flags("我就在厂里上班，没有裁员，别听网上瞎说") == {
        "denied_layoffs": True,
        "trigger_layoffs": True,
    }
    assert "denied_shutdown" in flags("公司并未停产，订单排到年底")
    assert "denied_wage_arrears" in flags("经核实，该企业不存在拖欠工资情况")


def test_a_verdict_after_the_complaint_covers_it() -> None:
    found = flags("网传鑫达铜业要裁员，经核实不属实")
    assert found.get("denied_layoffs")
    found = flags("来电人反映单位停缴社保。经社保中心查询，该单位缴费正常")
    assert found.get("denied_social_insurance")


def test_a_mention_after_the_last_verdict_is_asserted() -> None:
    found = flags("经核查，其社保缴费记录完整，不存在断缴情形，但单位确有拖欠其加班工资问题")
    assert found.get("denied_social_insurance")
    assert not found.get("denied_wage_arrears")
    assert found.get("trigger_wage_arrears")


def test_not_paying_social_insurance_is_an_assertion_not_a_denial() -> None:
    assert not flags("公司一直未给我们缴纳社保，也不签合同").get("denied_social_insurance")


def test_an_order_to_pay_is_not_a_statement_that_wages_are_paid() -> None:
    assert not flags("工资拖欠两个月，已责令企业于月底前结清").get("denied_wage_arrears")


def test_an_empty_or_missing_text_is_about_nothing() -> None:
    out = rule_flags(pl.Series(["", None], dtype=pl.String))
    assert out.height == 2
    assert not out.select(pl.any_horizontal(pl.all())).to_series().any()


def test_the_classifier_reads_plain_sentences_and_their_denials() -> None:
    found = categories(
        "老板跑路了，三十多个工人拉横幅讨薪",
        "【辟谣】网传宏达机械倒闭裁员，公司回应：纯属谣言，生产一切正常",
        "社区门口新开了一家面包店，味道不错",
    )
    assert {"shutdown", "collective_action", "wage_arrears"} <= found[0]
    assert found[1] == set()
    assert found[2] == set()


def test_a_malformed_corpus_line_names_its_file_and_line(tmp_path: Path) -> None:
    good = '{"text": "工资拖了三个月", "channel": "online", "labels": ["wage_arrears"], "negated": false}'
    (tmp_path / "bad.jsonl").write_text(good + "\n{not json\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad.jsonl:2"):
        read_corpus("bad.jsonl", folder=tmp_path)
    unknown = '{"text": "x", "channel": "online", "labels": ["strike"], "negated": false}'
    (tmp_path / "labels.jsonl").write_text(unknown + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"labels.jsonl:1: labels \['strike'\]"):
        read_corpus("labels.jsonl", folder=tmp_path)


def test_the_corpus_files_are_disjoint() -> None:
    """No sentence of the held-out writer or of the negation set is also a training sentence."""
    from features.text_model import HELD_OUT_FILE, NEGATION_FILE, TRAIN_FILES

    train = set(read_corpus(*TRAIN_FILES)["text"])
    assert not train & set(read_corpus(HELD_OUT_FILE)["text"])
    assert not train & set(read_corpus(NEGATION_FILE)["text"])
    negations = read_corpus(NEGATION_FILE)
    assert negations.height >= 100 and negations["negated"].all()


@pytest.mark.parametrize(
    "text",
    [
        "公司未来三个月将裁员",
        "公司无故辞退30人",
        "未提前通知就裁员",
        "不是第一次拖欠工资了",
        "厂里裁了一百多人，我还没有被辞退",
        "公司社保已经断缴三个月了",
        "工资一直没有按时发放",
        "已停产，生产无法正常进行",
        "老板跑路了，工资拖欠三个月，网传要裁员是谣言",
        "我请假的第二天就被辞退了",
    ],
)
def test_words_that_only_look_like_a_denial_deny_nothing(text: str) -> None:
    found = flags(text)
    denied = {k for k in found if k.startswith("denied_")}
    if "谣言" in text:  # the rumour of layoffs is denied; the absconding boss and the arrears are not
        assert denied == {"denied_layoffs"}, found
    else:
        assert not denied, (text, found)


def test_a_look_alike_word_triggers_nothing() -> None:
    assert not any(k.startswith("trigger_") for k in flags("劳动仲裁员说要等通知"))


def test_a_normalised_record_is_read_clause_by_clause() -> None:
    """Normalising turns ， into ,: the half-width comma still ends a clause, so a negation of one
    matter does not deny the next one."""
    found = rule_flags(normalise(pl.Series(["企业并未停产，但拖欠工人三个月工资"]))).row(0, named=True)
    assert found["denied_shutdown"]
    assert not found["denied_wage_arrears"]
    assert found["trigger_wage_arrears"]


def test_a_negation_in_the_clauses_after_a_verdict_answers_the_complaint() -> None:
    assert flags("网传鼎盛化工要裁员，经街道核实，企业无裁员计划").get("denied_layoffs")
    assert flags("报警称厂门口有人聚集，民警到场后未发现聚集人员").get("denied_collective_action")
    # 未发现 answers only what it names: the strike itself is not denied.
    assert not flags("报警称工人集体罢工，民警到场后未发现冲突").get("denied_collective_action")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("谁说鸿福五金跑路了？老板天天都在厂里", "shutdown"),
        ("罢工是误传，那天大家在开安全会", "collective_action"),
        ("要裁员？没有的事", "layoffs"),
        ("所谓门口聚集，其实是排队领体检表的新员工", "collective_action"),
        ("说断缴的是另一家同名的厂，我们这边每月都交", "social_insurance"),
        ("有人说金帆纸业断缴社保，我刚查了，没断", "social_insurance"),
        ("以为要被辞退，结果只是换岗，虚惊一场", "layoffs"),
        ("在这干了五年，从没拖过工资", "wage_arrears"),
        ("网传我们厂断缴社保，纯属造谣，我昨天刚用医保卡拿了药", "social_insurance"),
    ],
)
def test_a_colloquial_denial_denies_the_matter(text: str, category: str) -> None:
    assert flags(text).get(f"denied_{category}"), text


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("拖欠的三个月工资今天全部补发了", "wage_arrears"),
        ("来电人反映公司拖欠工资，经核实，企业已于次日结清所欠工资", "wage_arrears"),
        ("社保之前断了半年，上个月已经补缴", "social_insurance"),
        ("此前反映的欠薪问题已解决，企业已足额发放", "wage_arrears"),
    ],
)
def test_a_matter_put_right_later_is_not_denied(text: str, category: str) -> None:
    assert not flags(text).get(f"denied_{category}"), text


@pytest.mark.parametrize(
    "text",
    [
        "难道这不是裁员吗？一下子走了五十人",
        "老板说不得不停产，工人都放假了",
        "未经协商就把我们辞退了",
        "说是不裁员，结果上周裁了一个组",
        "听说要裁掉一半的人，真的假的？",
        "工资条都发了，钱还没到账",
        "有传言说鑫达机械要倒闭了，大家都很慌",
    ],
)
def test_a_rhetorical_question_or_a_pay_slip_denies_nothing(text: str) -> None:
    found = flags(text)
    assert not {k for k in found if k.startswith("denied_")}, (text, found)


def test_a_plain_word_for_the_matter_triggers_it_after_a_denial_of_another() -> None:
    found = flags("企业未停产，但上月辞退了二十名员工")
    assert found.get("denied_shutdown")
    assert found.get("trigger_layoffs") and not found.get("denied_layoffs")


def test_a_question_that_only_echoes_the_claim_is_answered_by_what_follows() -> None:
    assert flags("裁员？瞎说吧，我们车间上个月还招了人").get("denied_layoffs")
    assert flags("东升机械停产？我们车间天天加班").get("denied_shutdown")
    # Asked in earnest, or asserting by asking: not an echo.
    assert not flags("又要裁员了？这个月已经第二次了").get("denied_layoffs")
    assert not flags("这不叫欠薪叫啥？说好五号发，拖到月底").get("denied_wage_arrears")
    # The last clause has nothing after it to answer it.
    assert not flags("老板是不是跑路了？").get("denied_shutdown")


def test_fei_and_bu_deny_the_matter_right_after_them_but_not_as_part_of_a_word() -> None:
    found = flags("报警人称有人罢工讨薪，民警到场了解，系工人等候班车，非罢工")
    assert found.get("denied_collective_action")
    assert not flags("公司非法辞退怀孕女工").get("denied_layoffs")
    assert not flags("在非工作时间被电话辞退").get("denied_layoffs")
    found = flags("老板说不停产，结果把我们一车间都辞退了")
    assert found.get("denied_shutdown")
    assert not found.get("denied_layoffs")


def test_what_a_verdict_found_the_crowd_to_be_answers_the_report_but_a_cause_does_not() -> None:
    assert flags("报警人称厂门口有人聚集，民警到场后了解，系附近居民排队领快递").get("denied_collective_action")
    assert not flags("来电人反映企业拖欠工资三个月。经查，系企业资金链断裂所致").get("denied_wage_arrears")
    # 系统 is not 系.
    assert not flags("单位早就不交社保了，经查询，系统显示断缴半年").get("denied_social_insurance")


def test_a_verdict_that_confirms_the_matter_keeps_it_asserted() -> None:
    assert not flags("来电人反映企业断缴社保。经核查，企业确存在欠缴，已责令补缴").get("denied_social_insurance")
    assert not flags("现场确有横幅，系工人不满食堂承包，与工资发放无关").get("denied_collective_action")
    assert flags("信访人反映的欠薪问题经查不属实").get("denied_wage_arrears")


def test_colloquial_and_official_answers_found_in_a_sixth_writer() -> None:
    assert flags("倒闭的是隔壁那家，你们把名字搞混了").get("denied_shutdown")
    assert flags("裁员传言已经被公司否认了").get("denied_layoffs")
    assert flags("来电人称公司拖欠工资。承办单位答复：该企业每月25日发薪，来电时尚未到发薪日").get(
        "denied_wage_arrears"
    )
    assert flags("门口那些人讨薪？那是排队取快递的").get("denied_wage_arrears")


def _rules_only() -> TextClassifier:
    """The fitted classifier with thresholds no probability reaches and no second reading: only the
    rules report."""
    fitted = default_classifier()
    return dataclasses.replace(fitted, thresholds=(1.01,) * len(CATEGORIES), scopes=())


def test_beside_a_denial_a_mention_read_as_asserted_reports_its_category() -> None:
    """Next to a denial the model's n-grams lean towards "nothing happened"; the matter the text
    goes on to assert is reported by the rules even without a trigger word."""
    text = "厂子没倒闭，老板天天在，就是工资拖了两个月"
    assert flags(text).get("asserted_wage_arrears")
    found = _rules_only().categorise(pl.Series([text])).row(0, named=True)
    assert found["cat_wage_arrears"]
    assert not found["cat_shutdown"]


def test_without_a_denial_an_asserted_mention_is_left_to_the_model() -> None:
    found = _rules_only().categorise(pl.Series(["工资拖了两个月"])).row(0, named=True)
    assert not any(found.values())


def test_a_colloquial_question_word_denies() -> None:
    assert flags("瞎说，哪有停产，车间天天加班").get("denied_shutdown")
    assert flags("哪里有裁员，人一个没少").get("denied_layoffs")
