"""Routing for 12345 intake: where a matter is (gazetteer), who takes it (dispatch catalogue, unit
directory) and what to do with the call (`suggest`).

Pure library: plain values in, plain frozen values out, data files on disk. It imports nothing
from the `hotline` application nor from `classifier`; the application converts the classifier's
top-k categories and safety finding into the plain inputs defined here.
"""

from routing.catalogue import Catalogue, CatalogueError, Rule
from routing.datafile import DataFileError
from routing.decision import Options, suggest
from routing.demo import DemoCity, demo_units, load_demo_city
from routing.gazetteer import Gazetteer, Place, PlaceMention
from routing.inputs import KBHit, KBHook, SafetyInput
from routing.suggestion import Suggestion, UnitSuggestion
from routing.territory import Territory, TerritoryResolver
from routing.units import UnitDirectory, UnitInfo, link_territories

__all__ = [
    "Catalogue",
    "CatalogueError",
    "DataFileError",
    "DemoCity",
    "Gazetteer",
    "KBHit",
    "KBHook",
    "Options",
    "Place",
    "PlaceMention",
    "Rule",
    "SafetyInput",
    "Suggestion",
    "Territory",
    "TerritoryResolver",
    "UnitDirectory",
    "UnitInfo",
    "UnitSuggestion",
    "demo_units",
    "link_territories",
    "load_demo_city",
    "suggest",
]
