Console.WriteLine("bench: stages come with the repository core");
