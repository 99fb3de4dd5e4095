"""The intelligence products, built by the product engine (docs/products.md).

Each product module (`tactical`, `strategic`, `problem_profile`) only lists its sections and its framing; the
sections (`tasks.products.sections`) compute and word everything; `pipeline` runs the stages (plan, gather,
publish) and `compose` numbers and lays out the result for `tasks.draft.publish`.
"""
from tasks.products.pipeline import Gathered, ProductPlan, UnchangedResult, build, gather, publish_product, unchanged_version
from tasks.products.problem_profile import build_problem_profile
from tasks.products.sections.local_emerging import local_emerging_issues
from tasks.products.strategic import build_strategic_assessment
from tasks.products.tactical import build_tactical_assessment

__all__ = ["build_tactical_assessment", "build_strategic_assessment", "build_problem_profile", "local_emerging_issues",
           "ProductPlan", "Gathered", "UnchangedResult", "gather", "publish_product", "build", "unchanged_version"]
