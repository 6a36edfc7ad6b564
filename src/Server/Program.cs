Console.Error.WriteLine("bunkerd: not built yet");
return 1;
