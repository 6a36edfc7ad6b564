using Bunker.Client.Output;

namespace Bunker.Client.Tests;

public sealed class CommandOutputTests
{
    [Fact]
    public void TerminalGetsATableThatPrintsValuesLiterally()
    {
        var stdout = new StringWriter();
        new CommandOutput(stdout, TextWriter.Null, stdoutIsTerminal: true, json: false)
            .WriteTable(["TENANT", "CREATED"], [["[red]acme", "2023-11-14T22:13:20Z"]]);
        var text = stdout.ToString();
        Assert.Contains("TENANT", text);
        Assert.Contains("[red]acme", text); // markup in data is not interpreted
        Assert.Contains("2023-11-14T22:13:20Z", text);
    }

    [Fact]
    public void PipeGetsTabSeparatedLinesWithoutHeaderAndWithoutStrayTabs()
    {
        var stdout = new StringWriter();
        new CommandOutput(stdout, TextWriter.Null, stdoutIsTerminal: false, json: false)
            .WriteTable(["ID", "DESCRIPTION"], [["a1", "two\twords\nand a line"]]);
        Assert.Equal("a1\ttwo words and a line" + Environment.NewLine, stdout.ToString());
    }
}
