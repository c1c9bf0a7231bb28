"""engine/outputs"""
