// The shipped nickname table: each line is a canonical given name followed by its common diminutives.
// A name may appear in several lines (AL is Albert, Alan and Alfred); two names are equivalent when they share
// a line. Compiled by the project from common US usage; extend it by adding lines (upper case, ASCII).

/// Given-name equivalence through the shipped nickname table.
public enum Nicknames {
    /// The table as lines of names; the first name of a line is the canonical one.
    public static let table: String = """
        ABIGAIL ABBY ABBIE GAIL
        ABRAHAM ABE BRAM
        ALEXANDER ALEX AL ALEC SANDY XANDER LEX
        ALEXANDRA ALEX ALEXA SANDRA SANDY LEXI ALLIE
        ALBERT AL BERT BERTIE
        ALAN AL
        ALFRED AL ALF ALFIE FRED FREDDIE
        ALLISON ALLIE ALLY
        AMANDA MANDY MANDA
        ANDREW ANDY DREW
        ANNA ANNIE ANN ANNE NAN NANCY
        ANTHONY TONY ANT
        ANTONIO TONY TONO
        ARTHUR ART ARTIE
        BARBARA BARB BARBIE BABS
        BENJAMIN BEN BENNY BENJI
        BERNARD BERNIE BERNY
        BRADLEY BRAD
        CAMERON CAM
        CATHERINE CATHY CATE KATE KATIE KATHY CAT KAT
        KATHERINE KATHY KATE KATIE KAT KITTY KAYLA
        KATHLEEN KATHY KATE KATIE
        CHARLES CHARLIE CHUCK CHAS CHAZ CARL
        CHARLOTTE CHARLIE LOTTIE
        CHRISTINA CHRIS TINA CHRISSY
        CHRISTINE CHRIS TINA CHRISSY
        CHRISTOPHER CHRIS KIT TOPHER CHRISTY
        CLIFFORD CLIFF
        CYNTHIA CINDY
        DANIEL DAN DANNY
        DANIELLE DANI ELLIE
        DAVID DAVE DAVEY
        DEBORAH DEB DEBBIE DEBBY
        DENNIS DENNY
        DOMINIC DOM
        DONALD DON DONNIE DONNY
        DOROTHY DOT DOTTIE DOLLY
        DOUGLAS DOUG
        EDWARD ED EDDIE TED TEDDY NED
        EDMUND ED EDDIE NED
        EDWIN ED EDDIE
        ELEANOR ELLIE NELL NELLIE NORA
        ELIZABETH LIZ LIZZY LIZZIE BETH BETTY BETSY ELIZA LISA LIBBY ELSIE BESS
        EMILY EM EMMY MILLIE
        EUGENE GENE
        FRANCES FRAN FRANNIE FRANKIE
        FRANCIS FRANK FRAN FRANKIE
        FRANKLIN FRANK
        FREDERICK FRED FREDDIE FREDDY RICK
        GABRIEL GABE
        GABRIELLE GABBY GABI ELLIE
        GEOFFREY JEFF
        GERALD JERRY GERRY
        GREGORY GREG
        HAROLD HAL HARRY
        HENRY HANK HARRY HAL
        ISABEL IZZY BELLA ISA
        ISABELLA IZZY BELLA ISA
        JACOB JAKE JAKEY
        JAMES JIM JIMMY JAMIE JIMBO
        JANET JAN
        JENNIFER JEN JENNY JENNIE
        JEFFREY JEFF
        JEREMIAH JERRY
        JESSICA JESS JESSIE
        JOHN JACK JOHNNY JON
        JONATHAN JON JONNY NATE
        JOSEPH JOE JOEY JOSE
        JOSEPHINE JO JOSIE
        JOSHUA JOSH
        JUDITH JUDY
        KENNETH KEN KENNY
        KIMBERLY KIM KIMMY
        LAWRENCE LARRY LAURIE
        LEONARD LEO LEN LENNY
        LOUIS LOU LOUIE
        MARGARET MAGGIE MEG PEGGY PEG MARGE MADGE DAISY GRETA
        MARIA MARY MIA
        MARY MOLLY POLLY MAE MAMIE
        MATTHEW MATT MATTY
        MELISSA MEL MISSY LISSA
        MICHAEL MIKE MICKEY MICK MIKEY
        MICHELLE SHELLY MICHE
        NATHAN NATE
        NATHANIEL NATE NAT NATHAN
        NICHOLAS NICK NICKY NICO
        NICOLE NIKKI NICKY
        OLIVIA LIV LIVVY OLLIE
        PAMELA PAM
        PATRICIA PAT PATTY TRISH TRICIA
        PATRICK PAT PADDY RICK
        PENELOPE PENNY
        PETER PETE
        PHILIP PHIL PIP
        RAYMOND RAY
        REBECCA BECKY BECCA BECK
        RICHARD RICK RICH RICHIE DICK RICKY
        ROBERT ROB BOB BOBBY ROBBIE BERT
        RONALD RON RONNIE
        RUSSELL RUSS
        SAMANTHA SAM SAMMY
        SAMUEL SAM SAMMY
        SARAH SARA SALLY SADIE
        STEPHEN STEVE STEVIE
        STEVEN STEVE STEVIE
        SUSAN SUE SUSIE SUZY
        SUZANNE SUE SUSIE SUZY
        TERESA TERRY TESS TESSA TRACY
        THEODORE TED TEDDY THEO
        THOMAS TOM TOMMY
        TIMOTHY TIM TIMMY
        VALERIE VAL
        VICTORIA VICKY TORI VICKIE
        VINCENT VINCE VINNY
        VIRGINIA GINNY GINGER
        WALTER WALT WALLY
        WILLIAM BILL BILLY WILL WILLY WILLIE LIAM
        ZACHARY ZACH ZACK
        """

    /// Each name to the line numbers it appears on.
    static let groups: [String: [Int32]] = {
        var map: [String: [Int32]] = [:]
        for (n, line) in table.split(separator: "\n").enumerated() {
            for name in line.split(separator: " ") {
                map[String(name), default: []].append(Int32(n))
            }
        }
        return map
    }()

    /// First letter of each line's canonical name.
    static let canonicalInitials: [UInt8] = table.split(separator: "\n").map { $0.utf8.first { $0 != 32 } ?? 0 }

    /// True when the two normalised given names are the same or share a line of the table.
    public static func areEquivalent(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        guard let ga = groups[a], let gb = groups[b] else { return false }
        return ga.contains { gb.contains($0) }
    }
}
