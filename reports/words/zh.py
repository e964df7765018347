"""The report's sentences in Simplified Chinese (简体中文): the same keys as `en.py`, the same blanks."""

SENTENCES = {
    "list": "{head}和{last}",
    "list_separator": "、",
    "trial": "试验 {trial}",
    "page": "第 {page} 页，共 {pages} 页",
    "direction.max": "越大越好",
    "direction.min": "越小越好",
    "unit.seconds": "{n} 秒",
    "unit.minutes": "{n} 分钟",
    "unit.hours": "{n} 小时",
    "status.finished": "已完成",
    "status.failed": "失败",
    "status.killed": "已终止",
    "status.running": "运行中",
    "status.scheduled": "待运行",
    "status.pruned_at": "在第 {epoch} 轮被剪枝",
    "state.finished": "已完成",
    "state.running": "未完成：仍在运行，或其进程已退出（--resume 可继续）",
    "state.stopped": "未完成：{why}（--resume 可继续）",
    "state.interrupted": "被中断",
    # the search report
    "search.heading": "{name}：搜索报告",
    "search.title": "超参数搜索：{name}",
    "search.incomplete": "本次搜索{state}。已完成的试验：{finished} 个（{bound}）；下文只涉及这些试验。",
    "search.no_trials": "本次搜索没有试验：它在第一个试验结束前就被停止或失败了。",
    "summary.experiment": "实验",
    "summary.parent_run": "父运行",
    "summary.data": "数据",
    "summary.data_sizes": "{data}：训练 {train}，验证 {validation}，测试 {test}",
    "summary.data_notes": "数据读取说明",
    "summary.family": "模型类别",
    "summary.tuner": "调参器",
    "summary.tuner_value": "{algorithm}，{bound}，每个最多 {epochs} 轮，耐心值 {patience}",
    "summary.time_budget": "时间预算",
    "summary.objective": "目标",
    "summary.objective_value": "{objective}（{direction}），随机种子 {seed}",
    "summary.started": "开始",
    "summary.started_value": "{when}，{minutes} 分钟，{state}",
    "summary.trials": "试验",
    "summary.trials_value": "{n} 个：{finished} 个完成，{pruned}{failed} 个失败，{interrupted} 个中断",
    "summary.pruned": "{n} 个被剪枝（{how}），",
    "summary.pruning": "{rule} 规则，从第 {warmup} 轮起判断",
    "summary.stopped": "提前停止",
    "summary.best_trial": "最佳试验",
    "summary.no_best": "无：没有试验以有限的分数完成",
    "summary.best_value": "试验 {trial}：{objective} {score}，{test} {test_score}",
    "summary.ties": "并列时的选择",
    "summary.ensemble": "集成",
    "summary.baseline": "基线（{key}）",
    "summary.baseline_value": "{name}：{test} {score}（验证集 {validation}）",
    "summary.gain": "；最佳模型每个测试样本的增益为 {gain} ± {error}（标准误）",
    "baseline.trivial": "平凡基线",
    "baseline.model": "简单模型",
    "bound.trials": "最多 {n} 个试验",
    "bound.budget": "时间预算允许的试验数",
    "bound.at_most": "（最多 {n} 个）",
    "budget.bought": (
        "{budget}的训练时间（不计准备和收尾步骤）：换来了 {trials} 个试验（共 {epochs} 轮{pruned}）{when}。"
        "预算用完时正在进行的试验会被训练完，而不会被中途截断。"
    ),
    "budget.pruned": "，其中 {n} 个被剪枝",
    "budget.spent": "；请求最后一个试验时，训练已用去 {spent}",
    "best.heading": "最佳模型：试验 {trial}",
    "best.architecture": "网络结构（{n} 个参数）：",
    "best.layers": "网络结构：",
    "best.per_class": "测试集上各类别的分数：",
    "best.fixed": "所有试验共用的固定值：{values}。",
    "column.searched": "搜索的超参数",
    "column.value": "取值",
    "column.searched_over": "搜索范围",
    "column.hyperparameter": "超参数",
    "column.configured": "配置",
    "column.tried": "试过的取值",
    "column.duration": "用时",
    "column.status": "状态",
    "column.class": "类别",
    "column.precision": "精确率",
    "column.recall": "召回率",
    "column.f1": "F1",
    "column.support": "样本数",
    "column.layer": "层",
    "column.type": "类型",
    "column.output_shape": "输出形状",
    "column.parameters": "参数",
    "overview.heading": "搜索一览",
    "overview.inactive": "在所有完成的试验中均未启用",
    "overview.range": "{low} 至 {high}（{n} 个取值）",
    "overview.space": "配置的搜索空间，以及完成的试验实际试过的取值（括号内为每个取值的试验数）：",
    "trials.heading": "全部试验（最佳在前）",
    "effects.heading": "各超参数的作用",
    "effects.nothing": "没有超参数取过一个以上的值，因此无从比较。",
    "effects.how_to_read": (
        "每个点是一个完成的试验；对于离散选项，柱高为均值。留意最佳试验落在搜索范围边缘的取值：那时应朝该方向扩大范围。"
    ),
    "effects.pruned_left_out": "{n} 个被剪枝的试验未计入：它们被提前停止，分数无法与完整训练的分数相比。",
    "importance.too_few": (
        "重要性分析至少需要 {n} 个设置不同、分数也不同的完成试验，以及两个在所有这些试验中都启用的超参数；本次搜索的试验太少，无法排序。"
    ),
    "importance.left_out": "；未计入 {name}，原因：{why}",
    "importance.explained": (
        "重要性（Optuna 的 fANOVA）：用随机森林拟合 {n} 个完成试验的 {objective}，并按超参数分解其方差"
        "（{names}{left_out}）。下列为 {forests} 个森林的均值和标准差，每个森林拟合的是有放回地重新抽取的 {n} 个试验，"
        "因此离散程度反映了排序在多大程度上取决于恰好运行了哪些试验：{shares}。只有当两个份额之差超过二者的离散程度时，"
        "才能认为一个大于另一个。"
    ),
    "importance.pair": "{first} 对 {second}：解释力最强的两个超参数（最佳试验以红圈标出）。",
    "diagnosis.heading": "学习曲线诊断",
    "diagnosis.none": "没有试验完成，因此没有可诊断的曲线。",
    "diagnosis.trial": "试验 {trial}（{objective} {score}）：{finding}",
    "diagnosis.pruned": (
        "{n} 个被剪枝（在落后于其他试验时被停止），不计入本诊断和各超参数的作用，那些分数来自完整训练：{trials}"
    ),
    "diagnosis.pruned_trial": "试验 {trial} 于第 {epoch} 轮（当时 {objective} 为 {score}）",
    "diagnosis.no_reason": "未记录原因",
    "diagnosis.failed": "试验 {trial} 失败：{reason}",
    "full_stop": "。",
    "or": " 或 ",
    # a verdict against a baseline
    "baseline_sentence.beats": (
        "最佳模型的{metric} {model} 在 {n} 个测试样本上优于{name}的 {baseline}（每个样本的增益为 {gain} ± {error}"
        "（标准误）；只有超过 {z} 个标准误的差异才被判定）"
    ),
    "baseline_sentence.worse": (
        "最佳模型的{metric} {model} 在 {n} 个测试样本上不如{name}的 {baseline}（每个样本的增益为 {gain} ± {error}"
        "（标准误）；只有超过 {z} 个标准误的差异才被判定）"
    ),
    "baseline_sentence.no_better": (
        "最佳模型的{metric} {model} 在 {n} 个测试样本上并不比{name}的 {baseline} 更好（每个样本的增益为 {gain} ± "
        "{error}（标准误）；只有超过 {z} 个标准误的差异才被判定）"
    ),
    # the ensemble
    "ensemble.name": "由试验 {members} 组成的集成",
    "ensemble.score": "{metric} {ours}，对比 {theirs}",
    "ensemble.on_validation": "{scores}；集成是在验证集上选出的，因此它在验证集上的分数偏高",
    "ensemble.beyond": "超过 {z} 个标准误",
    "ensemble.loss": "损失超过 {z} 个标准误",
    "ensemble.within": "在 {z} 个标准误之内：不判定差异",
    "ensemble.on_test": "相对试验 {trial}，每个测试样本的增益为 {gain} ± {error}（{n} 个样本），{called}",
    "ensemble.kept": "最佳模型是{named}，在验证集上优于试验 {trial}（{on_validation}）；{on_test}。",
    "ensemble.no_better": "{named}在验证集上并不比试验 {trial} 更好（{on_validation}），因此最佳模型仍是该试验；{on_test}。",
    "ensemble.not_kept": "{named}没有被采用为模型，因为{why}（{on_validation}）；{on_test}。",
    "ensemble.none": "集成：{how}。",
    # a study's answer
    "seeds.each": "每个 {n} 个随机种子",
    "seeds.mixed": "随机种子数：{counts}",
    "panel.at": "在 {place} 时，",
    "panel.values": "{where}{metric}：{values}（{seeds}）。",
    "panel.best": "{best} 表现最好",
    "panel.close": "，但 {settings} 与它的差异在噪声之内",
    "panel.clear_higher": "；{settings} 明显更高",
    "panel.clear_lower": "；{settings} 明显更低",
    "panel.one_seed": "；只有一个随机种子，没有离散程度可用来区分 {settings} 与它",
    "panel.stuck": "{settings} 没有超过{baseline}（{value}）。",
    "answer.none_past": "没有设置超过{baseline}",
    "answer.other_best": "{best} 表现最好",
    "answer.rivals": "{rivals} 与 {best} 的差异在噪声之内",
    "answer.expected": "预期：{expectation}。",
    "answer.do_best": "{names} 表现最好",
    "answer.both": "，在测得的两种情形中都是如此",
    "answer.all": "，在测得的全部 {n} 种情形中都是如此",
    "answer.shown": "实测：{names} 表现最好，且超出其余设置的噪声{cases}。",
    "answer.not_shown": "实测：并非如此：{why}。",
    "answer.partly": "实测：在 {shown} 时如此；在 {not_shown} 时不然。",
    "lead.grows": (
        "{names} 相对其他最佳设置的领先幅度（均值之差 ± 其跨随机种子的标准误）：{leads}。从 {first} 到 {last}，"
        "领先幅度增加了 {change}"
    ),
    "lead.shrinks": (
        "{names} 相对其他最佳设置的领先幅度（均值之差 ± 其跨随机种子的标准误）：{leads}。从 {first} 到 {last}，"
        "领先幅度减少了 {change}"
    ),
    "lead.one_seed": "；只有一个随机种子，没有离散程度可以判断这是否超出噪声。",
    "lead.beyond": "，超出噪声（两倍标准误，{margin}）。",
    "lead.within": "，在噪声之内（两倍标准误，{margin}）：这些运行无法判断领先幅度是否变化。",
    "clauses": "；",
    "not_recorded": "未记录",
    "trials": "试验 {trials}",
    # ties on the objective
    "ties.within": "相差在一个步长 {step} 之内",
    "ties.equal": "完全相等",
    "ties.tied": "{trials} 在 {objective} 上并列（试验 {trial} 为 {score}；{within}）；并列时选验证损失更低者，再选参数更少者。",
    "ties.other": "{value}（试验 {trial}）",
    "ties.lowest_loss": "试验 {trial} 保留的权重（按 {objective} 的最佳轮次）的{loss}最低，为 {value}，对比 {others}。",
    "ties.same_loss": "试验 {trial} 保留的权重与 {same} 的{loss}相同（{value}）",
    "ties.fewest": "，且参数最少，为 {value}，对比 {others}",
    "ties.as_many": "；试验 {trials} 的参数一样多，保留较早的那个",
    # what each hyperparameter did
    "unranked.inactive": "在部分试验中未启用",
    "unranked.one_value": "在完成的试验中只有一个取值",
    "effect.unused": "{name}：没有完成的试验用到它。",
    "effect.edge_low": "；最佳试验（{value}）位于范围下端（{bound}）的 {share} 之内，因此可朝该方向扩大范围",
    "effect.edge_high": "；最佳试验（{value}）位于范围上端（{bound}）的 {share} 之内，因此可朝该方向扩大范围",
    "effect.range": "{name}：最好的三分之一试验用的是 {low} 至 {high}（试过 {tried_low} 至 {tried_high}）；{trend}{edge}。",
    "effect.one_value": "{name}：只有 {value} 完成了，因此无法判断其作用。",
    "effect.confounded": (
        "{name}：与 {twin} 混杂：在每个完成的试验中，{name} 的每个取值都对应 {twin} 的同一个取值，因此无法区分二者各自的作用。"
    ),
    "effect.too_few": (
        "{name}：每个取值的试验太少，无法判断作用（每个取值的试验数：{counts}）；比较需要两个各至少试过两次的取值："
        "一个取值只试一次，无法把它的作用与同时变化的其他超参数的作用分开。"
    ),
    "effect.once": "；只试过一次、未计入：{values}",
    "effect.floor": "；一个验证样本相当于 {sample}",
    "effect.means": (
        "{name}：{best} 的平均 {objective} 最好（{best_mean}，标准差 {best_sd}，{best_n} 个试验），{worst} 最差"
        "（{worst_mean}，标准差 {worst_sd}，{worst_n} 个）{aside}"
    ),
    "effect.rule": "差值标准误的两倍，{noise}{floor}",
    "effect.within": "；差值 {gap} 在其噪声之内（{rule}）：本次搜索无法判断作用。",
    "effect.beyond": "；差值 {gap} 超出其噪声（{rule}）。",
    "trend.none": "无法判断趋势",
    "trend.unclear": "没有明显趋势（{n} 个试验的 Spearman 相关为 {rho}，在偶然即可达到的 ±{chance} 之内）",
    "trend.better": "取值越高分数越好（{n} 个试验的 Spearman 相关为 {rho}，超出偶然水平 ±{chance}）",
    "trend.worse": "取值越高分数越差（{n} 个试验的 Spearman 相关为 {rho}，超出偶然水平 ±{chance}）",
    "agreement.predicted": "目标的排序预测了测试分数的排序",
    "agreement.against": "目标的排序与测试分数的排序相反",
    "agreement.chance": "目标的排序对测试分数排序的预测没有超出偶然水平",
    "agreement.sentence": (
        "在 {n} 个完成的试验中，按目标排序与按{metric}排序的秩相关为 {rho}（Spearman，+1 表示顺序相同；{n} 个试验时"
        "偶然即可达到 ±{chance}）：{verdict}。测试集在这里不参与选择，只用于检验。"
    ),
    "missed.class": "{name}（{n} 个测试样本，占 {share}）",
    "missed.balanced_on": "class_weight: balanced 已开启",
    "missed.advice": (
        "在实验文件中设置 class_weight: balanced 会提高少数类的权重；它以准确率换取这些类的召回率，付出的准确率可能多于"
        "它们得到的，因此应以宏平均 F1 而非准确率来评判"
    ),
    "missed.sentence": "测试集上从未被识别的类别：{classes}。模型改为回答更常见的类别；{advice}。",
    # the learning curves
    "diagnose.too_few": "轮次太少，无法判断曲线。",
    "diagnose.unstable": "不稳定：训练损失在第 {epoch} 轮从 {low} 跳到 {high}",
    "diagnose.dip": (
        "第 {epoch} 轮的孤立低谷：该轮验证损失为 {loss}，其后 {after} 轮每一轮都高出 {low} 至 {high} 倍（{lowest} 至 "
        "{highest}）；保留权重的分数很可能是那一轮的运气，预计测试分数会低于它"
    ),
    "diagnose.overfitting": (
        "从第 {epoch} 轮起过拟合：验证损失从 {start} 升到 {end}（每轮 {slope}，高于水平 {t} 个标准误），而训练损失从 "
        "{train_start} 降到 {train_end}"
    ),
    "diagnose.wobble": (
        "其后 {after} 轮的波动没有明显上升（每轮 {slope}，距水平 {t} 个标准误：在轮与轮之间的噪声之内），"
        "这是早停的等待，而非过拟合"
    ),
    "diagnose.under_trained": (
        "训练不足：验证损失在最后一轮（第 {epoch} 轮）仍在下降（从 {start} 降到 {to}；最后 {tail} 轮低于水平 {t} 个"
        "标准误），是轮次预算结束了训练；请允许更多轮次（实验文件中的 tuner.epochs）"
    ),
    "diagnose.ended_later": "运行在 {n} 轮之后、第 {epoch} 轮结束",
    "diagnose.lowest": "验证损失在第 {epoch} 轮最低（{loss}）",
    "diagnose.ceiling": "；其验证准确率已达到 {accuracy}，即可能的最大值",
    "diagnose.more_epochs": "；更多轮次也许还能改善它",
    "diagnose.capped": (
        "被轮次上限结束：{lowest}，运行在其后 {n} 轮达到 tuner.epochs（{epochs}），早停的耐心值 {patience} 还没来得及"
        "结束它{ceiling}{gap}"
    ),
    "diagnose.healthy": "正常：{lowest}；{where}{gap}",
    "diagnose.gap_above": "；最后一轮训练准确率比验证准确率高 {gap}",
    "diagnose.gap_below": "；最后一轮训练准确率比验证准确率低 {gap}",
    "diagnose.learned_nothing": "什么也没学到：其最佳 {metric} {best} 并不优于验证集上{name}的 {value}",
    "diagnose.underfitting_bar": (
        "欠拟合：训练准确率只达到 {accuracy}，比{name}的验证准确率 {value} 低出超过其噪声（{noise}，两个标准误）"
    ),
    "diagnose.underfitting_error": "欠拟合：其训练平均绝对误差 {error} 并不低于验证集上{name}的 {value}",
    "diagnose.underfitting_loss": "欠拟合：训练损失只从 {start} 降到 {end}",
    # a study's report
    "study.title": "研究：{name}",
    "study.answer": "回答",
    "study.nothing": "没有试验完成，因此无从比较。",
    "study.baseline": "基线",
    "study.failures": "{n} 个试验失败，未计入：{failures}。",
    "study.gradient_after": "训练之后，在 {panel}（{steps} 步）上，同一比例：{parts}（训练好的网络还能从多远之前的输入学习；见下方第二幅图）。",
    "study.gradient_before": "训练之前，在 {panel}（{steps} 步）上，传到第一步的损失梯度占传到最后一步的比例：{parts}（各试验及其随机种子的均值；下图逐步画出）。",
    "study.tuned": "每个设置都取其最佳的 {names}（按验证集目标选出，选定之后才看测试集）：{settings}。",
    "study.gradient_part": "{setting} {ratio}",
    "study.column_mean": "{metric}均值",
    "study.column_sd": "标准差",
    "study.column_seeds": "随机种子数",
    "study.column_per_seed": "各随机种子",
    "study.column_sweep": "扫描",
    "study.searches": "各次搜索",
    "study.search": "{name}：父运行 {run}，{status}。{verdict}",
    "study.closing": (
        "研究运行 {run}。每次搜索在其父运行上都有自己的报告。只有当两个设置的均值之差超过该差值跨随机种子标准误的两倍时，"
        "才判定二者不同。"
    ),
    # figure labels
    "figure.training": "训练",
    "figure.validation": "验证",
    "figure.kept": "保留（第 {epoch} 轮）",
    "figure.epoch": "轮次",
    "figure.share_of_class": "占真实类别的比例",
    "figure.confusion": "{title}：混淆矩阵（计数）",
    "figure.predicted": "预测",
    "figure.true": "真实",
    "figure.fpr": "假阳性率",
    "figure.tpr": "真阳性率",
    "figure.roc": "{title}：ROC（一对其余）",
    "figure.recall": "召回率",
    "figure.precision": "精确率",
    "figure.pr": "{title}：精确率-召回率",
    "figure.on_test": "{title}，测试集",
    "figure.importance": "目标方差的份额（fANOVA；重抽样的均值 ± 标准差）",
    "figure.over_seeds": "{metric}（跨随机种子的均值 ± 标准差）",
    "figure.steps_before_end": "距最后一个输入的步数",
    "figure.input_gradient": "该步上损失梯度的大小",
    "figure.input_gradient_before": "训练之前：{panel}",
    "figure.input_gradient_after": "训练之后：{panel}",
    "figure.trial": "试验",
    "figure.best_so_far": "迄今最佳",
    "figure.by_trial": "各试验的目标值",
    "figure.best_trial": "最佳试验（{trial}）",
    "figure.all_losses": "全部 {n} 个试验的验证损失",
    "figure.agreement": "每个试验的验证与测试对比",
    "figure.parallel": "每个试验一条线（黄色：{objective} 较高）",
    # metric words
    "metric.test/": "测试集",
    "metric.val_": "验证集",
    "metric.trial/": "试验",
    "metric.accuracy": "准确率",
    "metric.loss": "损失",
    "metric.mae": "平均绝对误差",
    "metric.mse": "均方误差",
    "metric.f1_macro": "宏平均 F1",
    "metric.loss_gap": "损失差距",
    "metric.val_loss_rise": "验证损失回升",
    # the shipped studies' questions and expectations (experiments/studies), by experiment name
    "study.study-batch-norm.question": "批归一化能否加快训练？在更深的网络中是否更明显？",
    "study.study-batch-norm.expectation": "使用批归一化时，相同轮次能达到更高的准确率，深度为 6 时更明显",
    "study.study-bidirectional.question": "当标签取决于序列的两端时，双向读取序列是否有帮助？",
    "study.study-bidirectional.expectation": "双向 GRU 胜过只向前读取的 GRU",
    "study.study-dropout.question": "对于用少量样本训练的过大网络，dropout 能否减轻过拟合？",
    "study.study-dropout.expectation": "使用 dropout 时，验证损失最终比不用时更接近训练损失（两条曲线间的差距更小，过拟合更少）",
    "study.study-gated-cells.question": "在 SimpleRNN 做不到的长序列上，门控单元（LSTM、GRU）能否跨越长距离传递信息？",
    "study.study-gated-cells.expectation": "LSTM 和 GRU 的 MSE 远低于预测均值的水平，而随着序列变长，SimpleRNN 停留在该水平",
    "study.study-gated-cells.baseline_label": "预测均值基线",
    "study.study-gradient-clipping.question": "在较大的学习率下，梯度范数裁剪能否让深层循环网络保持稳定？",
    "study.study-gradient-clipping.expectation": "使用 clipnorm 1.0 时大步长仍保持稳定，而不裁剪时 MSE 会被推到远高于始终预测均值的 0.167",
    "study.study-initializers.question": "使用 relu 和 tanh 时，哪些权重初始化方法能让深层网络训练起来？",
    "study.study-initializers.expectation": "方差缩放初始化（Glorot、He）能训练深层网络；全零权重无法打破对称性",
    "study.study-optimizers.question": "当特征的尺度相差很大时，逐参数学习率（RMSprop、Adam）是否胜过 SGD 和带动量的 SGD（各取其最佳学习率）？",
    "study.study-optimizers.expectation": "自适应优化器（Adam、RMSprop）比带或不带动量的 SGD 达到更高的准确率，各自取其最佳学习率",
    "study.study-regularizers.question": "L1 和弹性网络惩罚能否使权重稀疏？这些惩罚对准确率有何影响？",
    "study.study-regularizers.expectation": "L1 和弹性网络使最大比例的权重变为（接近）零",
    "study.study-transfer.question": "每类只有十个样本时，已训练模型的多少层应保持冻结？之后再微调这些层是否有帮助？",
    "study.study-transfer.expectation": "样本这么少时，保持基础模型的层冻结胜过重新训练它们",
    # what the search writes to MLflow in English, read back in a report's language (`relogged`)
    "logged.naive": "朴素预测（最后一个观测值）",
    "logged.seasonal_naive": "季节性朴素预测（上一个季节同期的值）",
    "logged.majority": "多数类（{name}）",
    "logged.training_mean": "预测训练集均值",
    "logged.logistic": "标准化输入上的逻辑回归（C={c}）",
    "logged.ridge": "标准化输入上的岭回归（alpha={alpha}）",
    "logged.boosting": "梯度提升（scikit-learn 的直方图树）",
    "logged.one_trial_alone": "无：选择只保留了一个试验",
    "logged.no_better": "在验证集上并不比试验 {trial} 更好",
    "logged.weights_missing": "试验 {trials} 的权重不在本机（log_trial_models: true 会保留它们）",
    # several searches side by side
    "compare.heading": "对比：{names}",
    "compare.title": "搜索对比：{names}",
    "compare.finished": "{finished}/{n} 个完成",
    "compare.best": "最佳 {objective}：{name}，为 {score}（试验 {trial}）。{others}",
    "compare.on_test": "在测试集上，{a} 的最佳模型为 {p}，{b} 的为 {q}（{m} 个和 {n} 个样本）：差值为 {d}",
    "compare.rule": "差值标准误的两倍，{margin}，把两个测试集视为相互独立",
    "compare.beyond": "，超出噪声（{rule}）。",
    "compare.within": "，在噪声之内（{rule}）：这些分数无法区分二者。",
    "compare.curves": "每次搜索最佳试验的学习曲线",
    "compare.confusions": "每次搜索最佳试验的混淆矩阵（测试集，按真实类别归一化）",
}
