package be.audiencematch.load;
class Placeholder {}
