"""Stream processors (faust apps): the register (processors.register) and the indicators."""
