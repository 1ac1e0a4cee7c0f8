from tests.payroll.conftest import stefan  # noqa: F401 - the payroll approver, reused
